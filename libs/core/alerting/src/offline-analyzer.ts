import {
  AlertLanguage,
  IncidentType,
  RiskLevel,
  riskAtLeast,
  type AnalysisResult,
  type Polygon,
} from '@vigint/contracts';
import type { ImageAdapter } from '@vigint/image';

export const OFFLINE_MODEL = 'offline-motion';

export interface OfflineAnalyzerOptions {
  /** Grayscale difference (0-255) above which a pixel counts as changed. */
  pixelThreshold?: number;
  /** Width frames are reduced to before comparing: noise goes, people stay visible. */
  width?: number;
  /** Changed fraction of the picture at each risk level. */
  levels?: { low: number; medium: number; high: number };
  /** Above this changed fraction, it is a global light change (lights, IR switch), not an intruder. */
  lightChange?: number;
}

export interface OfflineAnalyzeInput {
  frames: Buffer[];
  language: AlertLanguage;
  masks?: readonly Polygon[];
  /** Why the offline analysis decided (an AI fallback note); default: no AI key configured. */
  prefix?: string;
}

const TEXT: Record<
  AlertLanguage,
  { prefix: string; method: string; single: string; light: string; change: (pct: string, n: number) => string }
> = {
  [AlertLanguage.En]: {
    prefix: 'Offline motion-only analyzer (no AI key configured): this is not an AI analysis.',
    method: 'Offline motion-only analysis:',
    single: 'Only one frame was given, so no change could be measured.',
    light: 'Almost the whole picture changed at once: most likely a light change, not a person.',
    change: (pct, n) => `${pct}% of the picture changed across ${n} frames.`,
  },
  [AlertLanguage.Fr]: {
    prefix: "Analyse hors ligne, mouvement seul (aucune clé d'IA configurée) : ce n'est pas une analyse par IA.",
    method: 'Analyse hors ligne, mouvement seul :',
    single: "Une seule image reçue : aucun changement n'a pu être mesuré.",
    light: "Presque toute l'image a changé d'un coup : sans doute un changement de lumière, pas une personne.",
    change: (pct, n) => `${pct} % de l'image a changé sur ${n} images.`,
  },
};

/**
 * Without an AI key, or when the AI cannot answer: a risk level from how much of the picture changes between the frames.
 * It cannot tell a burglar from a cat, and its `analysis` text says so plainly.
 */
export class OfflineAnalyzer {
  private readonly pixelThreshold: number;
  private readonly width: number;
  private readonly levels: { low: number; medium: number; high: number };
  private readonly lightChange: number;

  constructor(
    private readonly image: ImageAdapter,
    options: OfflineAnalyzerOptions = {},
  ) {
    this.pixelThreshold = options.pixelThreshold ?? 25;
    this.width = options.width ?? 96;
    this.levels = options.levels ?? { low: 0.01, medium: 0.05, high: 0.2 };
    this.lightChange = options.lightChange ?? 0.6;
  }

  /** Largest fraction of pixels that changed between two consecutive frames (0..1). */
  async changedFraction(frames: Buffer[], masks: readonly Polygon[] = []): Promise<number> {
    let max = 0;
    let previous: Uint8Array | undefined;
    for (const frame of frames) {
      const source = masks.length ? await this.image.applyMasks(frame, masks) : frame;
      const gray = await this.image.grayscale(source, this.width);
      if (previous && previous.length === gray.data.length) {
        let changed = 0;
        for (let i = 0; i < gray.data.length; i++) {
          if (Math.abs(gray.data[i]! - previous[i]!) > this.pixelThreshold) changed++;
        }
        max = Math.max(max, changed / gray.data.length);
      }
      previous = gray.data;
    }
    return max;
  }

  async analyze(input: OfflineAnalyzeInput): Promise<AnalysisResult> {
    const t = TEXT[input.language] ?? TEXT[AlertLanguage.En];
    const fraction = input.frames.length > 1 ? await this.changedFraction(input.frames, input.masks) : 0;
    const light = fraction >= this.lightChange;
    const risk = light
      ? RiskLevel.Low
      : fraction >= this.levels.high
        ? RiskLevel.High
        : fraction >= this.levels.medium
          ? RiskLevel.Medium
          : fraction >= this.levels.low
            ? RiskLevel.Low
            : RiskLevel.None;
    const incident = riskAtLeast(risk, RiskLevel.Medium);
    const detail =
      input.frames.length < 2 ? t.single : light ? t.light : t.change((fraction * 100).toFixed(1), input.frames.length);
    const analysis = `${input.prefix ? `${input.prefix} ${t.method}` : t.prefix} ${detail}`;
    return {
      has_security_incident: incident,
      incident_detected: incident,
      incident,
      incident_type: incident ? IncidentType.Other : IncidentType.None,
      risk_level: risk,
      analysis,
      description: analysis,
      // A pixel count is weak evidence whatever its size.
      confidence: incident ? 0.3 : 0.5,
      frame_count: input.frames.length,
      frame_indexes: [],
      model: OFFLINE_MODEL,
      offline: true,
      token_usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      ai_calls: [],
    };
  }
}
