import { ErrorBody } from '@vigint/contracts';

/** Error replies of the video job routes (create, compress): the same statuses, so one schema map. */
export const videoJobErrors = {
  400: ErrorBody,
  401: ErrorBody,
  413: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  503: ErrorBody,
  504: ErrorBody,
};
