/** Pieces the route plugins share. */
import type { ZodType } from 'zod';
import { ErrorBodySchema } from '../../core/sync-api.js';

/** The error body schema for each of `statuses`, for a route's response map (and the OpenAPI document). */
export function errorResponses(...statuses: number[]): Record<number, ZodType> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBodySchema]));
}
