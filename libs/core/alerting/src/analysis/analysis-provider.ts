import type { AnalysisReply, AnalysisRequest } from '@vigint/contracts';

/**
 * An AI model that looks at frames and answers with an AiVerdict (owned here, in core: the adapters in
 * libs/adapters/gemini and libs/adapters/openai satisfy it structurally and never import core).
 * Errors are AppError with `details.kind` an AiFailureKind (contracts/ai-provider.ts).
 */
export interface AnalysisProvider {
  readonly name: string;
  analyze(request: AnalysisRequest): Promise<AnalysisReply>;
  /** Resolves when the model is served; AppError AI_REJECTED when it is retired or unknown. */
  checkModel?(model: string): Promise<{ model: string; version?: string }>;
}
