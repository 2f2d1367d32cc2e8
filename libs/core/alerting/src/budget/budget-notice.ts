import { AlertLanguage } from '@vigint/contracts';
import type { MailTransport } from '@vigint/mailer';
import type { Logger } from '@vigint/logger';
import type { BudgetPeriod } from './spend-guard';

/** The owner is told once per period when the spend passes 80 % and again at 100 % of the budget. */
export interface BudgetNotice {
  clientId: string;
  period: BudgetPeriod;
  /** YYYY-MM-DD or YYYY-MM (UTC). */
  periodKey: string;
  percent: 80 | 100;
  spentUsd: number;
  limitUsd: number;
}

export interface BudgetNotifier {
  notify(notice: BudgetNotice): Promise<void>;
}

export interface BudgetRecipient {
  email: string;
  language: AlertLanguage;
  name?: string;
}

const usd = (n: number) => `$${n.toFixed(2)}`;

/** Subject and text of the notice, in the owner's language. */
export function budgetNoticeText(n: BudgetNotice, language: AlertLanguage): { subject: string; text: string } {
  const fr = language === AlertLanguage.Fr;
  const period = fr ? (n.period === 'day' ? 'du jour' : 'du mois') : n.period === 'day' ? 'daily' : 'monthly';
  if (n.percent >= 100) {
    return fr
      ? {
          subject: `Vigint : budget IA ${period} atteint (${usd(n.spentUsd)} / ${usd(n.limitUsd)})`,
          text:
            `Le budget IA ${period} (${n.periodKey}) est atteint : ${usd(n.spentUsd)} sur ${usd(n.limitUsd)}.\n` +
            `Jusqu'à la fin de la période, les alertes reposent sur l'analyse du mouvement seule, sans IA, et le disent.\n` +
            `Pour relever le budget : PUT /admin/clients/${n.clientId}/budget.`,
        }
      : {
          subject: `Vigint: ${period} AI budget reached (${usd(n.spentUsd)} of ${usd(n.limitUsd)})`,
          text:
            `The ${period} AI budget (${n.periodKey}) is used up: ${usd(n.spentUsd)} of ${usd(n.limitUsd)}.\n` +
            `Until the period ends, alerts rely on the motion analysis alone, without AI, and say so.\n` +
            `To raise the budget: PUT /admin/clients/${n.clientId}/budget.`,
        };
  }
  return fr
    ? {
        subject: `Vigint : 80 % du budget IA ${period} utilisés`,
        text: `${usd(n.spentUsd)} sur ${usd(n.limitUsd)} du budget IA ${period} (${n.periodKey}) sont utilisés. À 100 %, les alertes passent à l'analyse du mouvement seule.`,
      }
    : {
        subject: `Vigint: 80% of the ${period} AI budget used`,
        text: `${usd(n.spentUsd)} of the ${usd(n.limitUsd)} ${period} AI budget (${n.periodKey}) is used. At 100%, alerts fall back to the motion analysis alone.`,
      };
}

/** Mails the notice to the client's owner (the worker: the client's e-mail; local mode: EMAIL_TO). */
export class MailBudgetNotifier implements BudgetNotifier {
  constructor(
    private readonly o: {
      mailer: MailTransport;
      from: string;
      recipient: (clientId: string) => Promise<BudgetRecipient | undefined>;
      log?: Logger;
    },
  ) {}

  async notify(n: BudgetNotice): Promise<void> {
    const to = await this.o.recipient(n.clientId);
    if (!to) {
      this.o.log?.warn(
        { clientId: n.clientId, period: n.period, percent: n.percent },
        'AI budget notice: no recipient',
      );
      return;
    }
    const { subject, text } = budgetNoticeText(n, to.language);
    const html = `<p>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\n/g, '<br>')}</p>`;
    await this.o.mailer.send({
      from: this.o.from,
      to: to.email,
      subject,
      text,
      html,
      messageId: `<budget-${n.clientId}-${n.period}-${n.periodKey}-${n.percent}@vigint>`,
    });
  }
}
