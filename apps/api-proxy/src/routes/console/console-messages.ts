/** The console's words, in the e-mails' two languages. */
export interface ConsoleMessages {
  lang: 'en' | 'fr';
  locale: string;
  appName: string;
  nav: { incidents: string; cameras: string; usage: string; settings: string; admin: string; signOut: string };
  skip: string;
  signIn: {
    title: string;
    intro: string;
    keyLabel: string;
    keyHelp: string;
    submit: string;
    refused: string;
    magicTitle: string;
    magicLabel: string;
    magicSubmit: string;
    magicSent: string;
    magicTooMany: string;
    magicMailSubject: string;
    magicMailBody: (url: string) => string;
    magicConfirm: (client: string) => string;
    magicUsed: string;
    signedOut: string;
  };
  incidents: {
    title: string;
    empty: string;
    filters: string;
    camera: string;
    anyCamera: string;
    risk: string;
    anyRisk: string;
    from: string;
    to: string;
    apply: string;
    reset: string;
    time: string;
    type: string;
    summary: string;
    delivery: string;
    next: string;
    first: string;
    thumbnailOf: (camera: string) => string;
    noThumbnail: string;
    acknowledged: string;
    open: string;
  };
  incident: {
    title: (type: string, camera: string) => string;
    back: string;
    clip: string;
    noClip: string;
    videoFallback: string;
    screen: string;
    confirm: string;
    veto: string;
    vetoReason: string;
    model: string;
    noVerdict: string;
    deliveryLog: string;
    noDeliveries: string;
    channel: string;
    status: string;
    attempt: string;
    acknowledge: string;
    acknowledgedAt: (when: string) => string;
    started: string;
    ended: string;
    risk: string;
    type: string;
    camera: string;
  };
  cameras: {
    title: string;
    empty: string;
    state: string;
    lastFrame: string;
    never: string;
    today: string;
    snooze: string;
    snoozedUntil: (when: string) => string;
    snooze15: string;
    snooze60: string;
    snoozeTomorrow: string;
    unsnooze: string;
    /** Banners after a form on the cameras page: what was done, to which camera. */
    snoozedFlash: (camera: string, when: string) => string;
    resumedFlash: (camera: string) => string;
    thresholdFlash: (camera: string, level: string) => string;
    threshold: string;
    thresholdDefault: string;
    save: string;
    states: Record<string, string>;
  };
  usage: {
    title: string;
    month: string;
    calls: string;
    aiRequests: string;
    tokens: string;
    alerts: string;
    refusedToday: string;
    spend: string;
    budget: string;
    perDay: string;
    day: string;
    none: string;
    budgetDay: string;
    budgetMonth: string;
    of: string;
    noCap: string;
    capReached: string;
    perModel: string;
    model: string;
    stage: string;
    thinking: string;
    cost: string;
  };
  settings: {
    title: string;
    saved: string;
    timeZone: string;
    timeZoneHelp: string;
    digest: string;
    digestEnabled: string;
    digestHour: string;
    channels: string;
    channelsHelp: string;
    webhookUrl: string;
    webhookSecret: string;
    ntfyServer: string;
    ntfyTopic: string;
    ntfyToken: string;
    telegramToken: string;
    telegramChat: string;
    keepSecret: string;
    save: string;
  };
  admin: {
    title: string;
    clients: string;
    name: string;
    email: string;
    cameras: string;
    keys: string;
    active: string;
    revoked: string;
    revoke: string;
    reactivate: string;
    create: string;
    created: (name: string) => string;
    keyOnce: string;
    usage: string;
  };
  act: {
    title: string;
    confirmAck: string;
    confirmSnooze: (minutes: number, camera: string) => string;
    confirm: string;
    done: string;
    ackDone: string;
    snoozeDone: (when: string) => string;
    invalid: string;
    expired: string;
    openConsole: string;
  };
  risk: Record<string, string>;
  delivery: Record<string, string>;
  errors: { notFound: string; forbidden: string; unavailable: string; generic: string; back: string };
  language: string;
}

const EN: ConsoleMessages = {
  lang: 'en',
  locale: 'en-GB',
  appName: 'Vigint console',
  nav: {
    incidents: 'Incidents',
    cameras: 'Cameras',
    usage: 'Usage',
    settings: 'Settings',
    admin: 'Clients',
    signOut: 'Sign out',
  },
  skip: 'Skip to content',
  signIn: {
    title: 'Sign in',
    intro: 'Sign in with the API key of your site to see its incidents and cameras.',
    keyLabel: 'API key',
    keyHelp: 'The key your integrator gave you (43 characters).',
    submit: 'Sign in',
    refused: 'This key was not accepted. Check it and try again.',
    magicTitle: 'No key at hand?',
    magicLabel: 'E-mail address of your account',
    magicSubmit: 'Send me a sign-in link',
    magicSent: 'If this address belongs to an account, a sign-in link is on its way. It works once, for 15 minutes.',
    magicTooMany: 'Too many sign-in links asked from here. Wait a few minutes, or sign in with your key.',
    magicMailSubject: '[Vigint] Your sign-in link',
    magicMailBody: (url) =>
      `Open this link to sign in to the Vigint console. It works once, for 15 minutes:\n\n${url}\n\nIf you did not ask for it, ignore this e-mail: nothing happens without the link.`,
    magicConfirm: (client) => `Sign in to the console of ${client}.`,
    magicUsed: 'This sign-in link was already used or has expired. Ask for a new one.',
    signedOut: 'You are signed out.',
  },
  incidents: {
    title: 'Incidents',
    empty: 'No incident matches.',
    filters: 'Filters',
    camera: 'Camera',
    anyCamera: 'All cameras',
    risk: 'Risk at least',
    anyRisk: 'Any risk',
    from: 'From',
    to: 'To',
    apply: 'Apply',
    reset: 'Reset',
    time: 'Time',
    type: 'Type',
    summary: 'Summary',
    delivery: 'Delivery',
    next: 'Older incidents',
    first: 'Newest incidents',
    thumbnailOf: (c) => `Snapshot from ${c}`,
    noThumbnail: 'No snapshot',
    acknowledged: 'Acknowledged',
    open: 'Open',
  },
  incident: {
    title: (t, c) => `${t} — ${c}`,
    back: 'Back to incidents',
    clip: 'Clip',
    noClip: 'No clip is available for this incident (it may have expired).',
    videoFallback: 'Your browser cannot play this video: download it instead.',
    screen: 'Screening model',
    confirm: 'Confirming model',
    veto: 'Vetoed by the confirming model',
    vetoReason: 'Reason',
    model: 'Model',
    noVerdict: 'No verdict recorded.',
    deliveryLog: 'Delivery log',
    noDeliveries: 'Nothing was sent for this incident.',
    channel: 'Channel',
    status: 'Status',
    attempt: 'Attempt',
    acknowledge: 'Acknowledge',
    acknowledgedAt: (w) => `Acknowledged ${w}`,
    started: 'Started',
    ended: 'Ended',
    risk: 'Risk',
    type: 'Type',
    camera: 'Camera',
  },
  cameras: {
    title: 'Cameras',
    empty: 'No camera has reported yet.',
    state: 'State',
    lastFrame: 'Last frame',
    never: 'never',
    today: 'Incidents today',
    snooze: 'Snooze',
    snoozedUntil: (w) => `Snoozed until ${w}`,
    snooze15: '15 min',
    snooze60: '1 hour',
    snoozeTomorrow: 'Until tomorrow',
    unsnooze: 'End snooze',
    snoozedFlash: (c, w) => `${c} is snoozed until ${w}: it keeps recording, and sends nothing until then.`,
    resumedFlash: (c) => `${c} sends alerts again.`,
    thresholdFlash: (c, l) => `${c} now alerts from risk ${l}.`,
    threshold: 'Alert threshold',
    thresholdDefault: 'Default',
    save: 'Save',
    states: {
      live: 'Live',
      reconnecting: 'Reconnecting',
      offline: 'Offline',
      connecting: 'Connecting',
      failed: 'Offline',
      ended: 'Ended',
      unknown: 'Unknown',
    },
  },
  usage: {
    title: 'Usage this month',
    month: 'Month',
    calls: 'API calls',
    aiRequests: 'AI requests',
    tokens: 'AI tokens (in / out)',
    alerts: 'Alerts sent',
    refusedToday: 'Calls refused today (limits)',
    spend: 'AI spend',
    budget: 'Budget',
    perDay: 'Per day',
    day: 'Day',
    none: 'No usage recorded this month.',
    budgetDay: 'AI budget today',
    budgetMonth: 'AI budget this month',
    of: 'of',
    noCap: 'no cap',
    capReached: 'Reached: alerts use the motion analysis alone until the period ends.',
    perModel: 'AI per model this month',
    model: 'Model',
    stage: 'Stage',
    thinking: 'Thinking tokens',
    cost: 'Cost',
  },
  settings: {
    title: 'Settings',
    saved: 'Settings saved.',
    timeZone: 'Time zone',
    timeZoneHelp: 'For example Europe/Paris. Times in the console, the e-mails and the digest use it.',
    digest: 'Daily digest',
    digestEnabled: 'Send me a daily digest by e-mail',
    digestHour: 'Local hour of the digest (0-23)',
    channels: 'Instant notices',
    channelsHelp:
      'Sent as soon as the AI confirms an incident, before the e-mail. Leave a channel empty to turn it off.',
    webhookUrl: 'Webhook URL',
    webhookSecret: 'Webhook signing secret (16+ characters)',
    ntfyServer: 'ntfy server',
    ntfyTopic: 'ntfy topic',
    ntfyToken: 'ntfy access token (optional)',
    telegramToken: 'Telegram bot token',
    telegramChat: 'Telegram chat id',
    keepSecret: 'Leave empty to keep the current value.',
    save: 'Save settings',
  },
  admin: {
    title: 'Clients',
    clients: 'Clients',
    name: 'Name',
    email: 'E-mail',
    cameras: 'Cameras',
    keys: 'Keys',
    active: 'active',
    revoked: 'revoked',
    revoke: 'Revoke keys',
    reactivate: 'Reactivate keys',
    create: 'Add a client',
    created: (n) => `Client ${n} created.`,
    keyOnce: 'Its API key, shown only once — copy it now:',
    usage: 'Usage this month',
  },
  act: {
    title: 'Confirm',
    confirmAck: 'Acknowledge this incident?',
    confirmSnooze: (m, c) =>
      `Snooze camera ${c} for ${m === 60 ? '1 hour' : `${m} minutes`}? It keeps recording; nothing is sent meanwhile.`,
    confirm: 'Confirm',
    done: 'Done',
    ackDone: 'The incident is acknowledged.',
    snoozeDone: (w) => `The camera is snoozed until ${w}.`,
    invalid: 'This link is not valid.',
    expired: 'This link has expired. Sign in to the console instead.',
    openConsole: 'Open the console',
  },
  risk: { NONE: 'None', LOW: 'Low', MEDIUM: 'Medium', HIGH: 'High', CRITICAL: 'Critical' },
  delivery: {
    sent: 'Sent',
    failed: 'Failed',
    suppressed: 'Suppressed',
    queued: 'Queued',
    sending: 'Sending',
    skipped: 'Not sent',
    duplicate: 'Already sent',
    pending: 'Pending',
    none: '—',
  },
  errors: {
    notFound: 'Not found.',
    forbidden: 'This action was refused.',
    unavailable: 'The service is unavailable for a moment. Try again shortly.',
    generic: 'Something went wrong.',
    back: 'Back to the console',
  },
  language: 'Français',
};

const FR: ConsoleMessages = {
  lang: 'fr',
  locale: 'fr-FR',
  appName: 'Console Vigint',
  nav: {
    incidents: 'Incidents',
    cameras: 'Caméras',
    usage: 'Consommation',
    settings: 'Réglages',
    admin: 'Clients',
    signOut: 'Se déconnecter',
  },
  skip: 'Aller au contenu',
  signIn: {
    title: 'Connexion',
    intro: 'Connectez-vous avec la clé API de votre site pour voir ses incidents et ses caméras.',
    keyLabel: 'Clé API',
    keyHelp: 'La clé fournie par votre intégrateur (43 caractères).',
    submit: 'Se connecter',
    refused: "Cette clé n'a pas été acceptée. Vérifiez-la et réessayez.",
    magicTitle: 'Pas de clé sous la main ?',
    magicLabel: 'Adresse e-mail de votre compte',
    magicSubmit: 'Recevoir un lien de connexion',
    magicSent:
      'Si cette adresse correspond à un compte, un lien de connexion est en route. Il fonctionne une fois, pendant 15 minutes.',
    magicTooMany:
      'Trop de liens demandés depuis cette adresse. Attendez quelques minutes, ou connectez-vous avec votre clé.',
    magicMailSubject: '[Vigint] Votre lien de connexion',
    magicMailBody: (url) =>
      `Ouvrez ce lien pour vous connecter à la console Vigint. Il fonctionne une fois, pendant 15 minutes :\n\n${url}\n\nSi vous ne l'avez pas demandé, ignorez cet e-mail : rien ne se passe sans le lien.`,
    magicConfirm: (client) => `Se connecter à la console de ${client}.`,
    magicUsed: 'Ce lien de connexion a déjà servi ou a expiré. Demandez-en un nouveau.',
    signedOut: 'Vous êtes déconnecté.',
  },
  incidents: {
    title: 'Incidents',
    empty: 'Aucun incident ne correspond.',
    filters: 'Filtres',
    camera: 'Caméra',
    anyCamera: 'Toutes les caméras',
    risk: 'Risque minimum',
    anyRisk: 'Tout risque',
    from: 'Du',
    to: 'Au',
    apply: 'Appliquer',
    reset: 'Effacer',
    time: 'Heure',
    type: 'Type',
    summary: 'Résumé',
    delivery: 'Envoi',
    next: 'Incidents plus anciens',
    first: 'Incidents les plus récents',
    thumbnailOf: (c) => `Image de ${c}`,
    noThumbnail: "Pas d'image",
    acknowledged: 'Acquitté',
    open: 'Ouvert',
  },
  incident: {
    title: (t, c) => `${t} — ${c}`,
    back: 'Retour aux incidents',
    clip: 'Vidéo',
    noClip: "Aucune vidéo n'est disponible pour cet incident (elle a peut-être expiré).",
    videoFallback: 'Votre navigateur ne peut pas lire cette vidéo : téléchargez-la.',
    screen: 'Modèle de tri',
    confirm: 'Modèle de confirmation',
    veto: 'Rejeté par le modèle de confirmation',
    vetoReason: 'Raison',
    model: 'Modèle',
    noVerdict: 'Aucun avis enregistré.',
    deliveryLog: 'Journal des envois',
    noDeliveries: "Rien n'a été envoyé pour cet incident.",
    channel: 'Canal',
    status: 'État',
    attempt: 'Essai',
    acknowledge: 'Acquitter',
    acknowledgedAt: (w) => `Acquitté le ${w}`,
    started: 'Début',
    ended: 'Fin',
    risk: 'Risque',
    type: 'Type',
    camera: 'Caméra',
  },
  cameras: {
    title: 'Caméras',
    empty: "Aucune caméra ne s'est encore manifestée.",
    state: 'État',
    lastFrame: 'Dernière image',
    never: 'jamais',
    today: "Incidents aujourd'hui",
    snooze: 'Pause',
    snoozedUntil: (w) => `En pause jusqu'à ${w}`,
    snooze15: '15 min',
    snooze60: '1 heure',
    snoozeTomorrow: "Jusqu'à demain",
    unsnooze: 'Reprendre',
    snoozedFlash: (c, w) => `${c} est en pause jusqu'à ${w} : elle continue d'enregistrer et n'envoie rien d'ici là.`,
    resumedFlash: (c) => `${c} envoie de nouveau les alertes.`,
    thresholdFlash: (c, l) => `${c} alerte désormais à partir du risque ${l}.`,
    threshold: "Seuil d'alerte",
    thresholdDefault: 'Par défaut',
    save: 'Enregistrer',
    states: {
      live: 'En direct',
      reconnecting: 'Reconnexion',
      offline: 'Hors ligne',
      connecting: 'Connexion',
      failed: 'Hors ligne',
      ended: 'Terminée',
      unknown: 'Inconnu',
    },
  },
  usage: {
    title: 'Consommation du mois',
    month: 'Mois',
    calls: 'Appels API',
    aiRequests: 'Requêtes IA',
    tokens: 'Jetons IA (entrée / sortie)',
    alerts: 'Alertes envoyées',
    refusedToday: "Appels refusés aujourd'hui (limites)",
    spend: 'Dépense IA',
    budget: 'Budget',
    perDay: 'Par jour',
    day: 'Jour',
    none: 'Aucune consommation ce mois-ci.',
    budgetDay: 'Budget IA du jour',
    budgetMonth: 'Budget IA du mois',
    of: 'sur',
    noCap: 'sans plafond',
    capReached: 'Atteint : les alertes reposent sur l’analyse du mouvement seule jusqu’à la fin de la période.',
    perModel: 'IA par modèle ce mois-ci',
    model: 'Modèle',
    stage: 'Étape',
    thinking: 'Jetons de réflexion',
    cost: 'Coût',
  },
  settings: {
    title: 'Réglages',
    saved: 'Réglages enregistrés.',
    timeZone: 'Fuseau horaire',
    timeZoneHelp: 'Par exemple Europe/Paris. Les heures de la console, des e-mails et du résumé l’utilisent.',
    digest: 'Résumé quotidien',
    digestEnabled: 'M’envoyer un résumé quotidien par e-mail',
    digestHour: 'Heure locale du résumé (0-23)',
    channels: 'Notifications instantanées',
    channelsHelp:
      "Envoyées dès que l'IA confirme un incident, avant l'e-mail. Laissez un canal vide pour le désactiver.",
    webhookUrl: 'URL du webhook',
    webhookSecret: 'Secret de signature du webhook (16 caractères ou plus)',
    ntfyServer: 'Serveur ntfy',
    ntfyTopic: 'Sujet ntfy',
    ntfyToken: "Jeton d'accès ntfy (facultatif)",
    telegramToken: 'Jeton du bot Telegram',
    telegramChat: 'Identifiant du chat Telegram',
    keepSecret: 'Laissez vide pour garder la valeur actuelle.',
    save: 'Enregistrer',
  },
  admin: {
    title: 'Clients',
    clients: 'Clients',
    name: 'Nom',
    email: 'E-mail',
    cameras: 'Caméras',
    keys: 'Clés',
    active: 'active',
    revoked: 'révoquée',
    revoke: 'Révoquer les clés',
    reactivate: 'Réactiver les clés',
    create: 'Ajouter un client',
    created: (n) => `Client ${n} créé.`,
    keyOnce: 'Sa clé API, affichée une seule fois — copiez-la maintenant :',
    usage: 'Consommation du mois',
  },
  act: {
    title: 'Confirmer',
    confirmAck: 'Acquitter cet incident ?',
    confirmSnooze: (m, c) =>
      `Mettre la caméra ${c} en pause pendant ${m === 60 ? '1 heure' : `${m} minutes`} ? Elle continue d'enregistrer ; rien n'est envoyé entre-temps.`,
    confirm: 'Confirmer',
    done: 'Fait',
    ackDone: "L'incident est acquitté.",
    snoozeDone: (w) => `La caméra est en pause jusqu'à ${w}.`,
    invalid: "Ce lien n'est pas valide.",
    expired: 'Ce lien a expiré. Connectez-vous plutôt à la console.',
    openConsole: 'Ouvrir la console',
  },
  risk: { NONE: 'Aucun', LOW: 'Faible', MEDIUM: 'Moyen', HIGH: 'Élevé', CRITICAL: 'Critique' },
  delivery: {
    sent: 'Envoyé',
    failed: 'Échec',
    suppressed: 'Supprimé',
    queued: 'En attente',
    sending: 'En cours',
    skipped: 'Non envoyé',
    duplicate: 'Déjà envoyé',
    pending: 'En attente',
    none: '—',
  },
  errors: {
    notFound: 'Introuvable.',
    forbidden: 'Cette action a été refusée.',
    unavailable: 'Le service est momentanément indisponible. Réessayez dans un instant.',
    generic: 'Une erreur est survenue.',
    back: 'Retour à la console',
  },
  language: 'English',
};

export const CONSOLE_MESSAGES = { en: EN, fr: FR } as const;

export function consoleMessages(lang: string | undefined | null): ConsoleMessages {
  return lang === 'fr' ? FR : EN;
}
