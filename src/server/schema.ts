/**
 * zod as Fastify's validator and serialiser, and the OpenAPI document built from the same route
 * schemas, so what is checked, what is sent and what is documented cannot drift apart.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { z, type ZodType } from 'zod';
import { validationError } from './errors.js';

/** The schemas a route declares (zod types) and its OpenAPI words. */
export interface RouteSchema {
  readonly summary: string;
  readonly tags?: readonly string[];
  readonly security?: 'token' | 'device' | 'none';
  readonly params?: ZodType;
  readonly body?: ZodType;
  readonly response: Readonly<Record<number, ZodType>>;
}

const PART_NAMES: Record<string, string> = { body: 'request body', params: 'path', querystring: 'query', headers: 'headers' };

/** Makes Fastify validate and serialise with zod. */
export function useZod(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const type = schema as ZodType;
    return (data: unknown) => {
      const parsed = type.safeParse(data);
      return parsed.success ? { value: parsed.data } : { error: validationError(parsed.error, PART_NAMES[httpPart ?? ''] ?? 'request') };
    };
  });
  // A response that does not match its schema is a bug in this server: it throws, never sends.
  app.setSerializerCompiler(({ schema }) => {
    const type = schema as ZodType;
    return (data: unknown) => JSON.stringify(type.parse(data));
  });
}

/** Collects every route with a schema as it is registered, for `openApiDocument`. */
export function collectRoutes(app: FastifyInstance): RouteOptions[] {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (route.schema && (route.schema as { summary?: string }).summary) routes.push(route);
  });
  return routes;
}

const jsonSchema = (type: ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

/** The OpenAPI 3.1 document of the collected routes. */
export function openApiDocument(routes: readonly RouteOptions[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const schema = route.schema as unknown as RouteSchema;
    const path = route.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      const op: Record<string, unknown> = {
        summary: schema.summary,
        tags: schema.tags ?? [],
        responses: Object.fromEntries(
          Object.entries(schema.response).map(([status, type]) => [
            status,
            {
              description: status.startsWith('2') ? 'ok' : 'error',
              content: { 'application/json': { schema: jsonSchema(type, 'output') } },
            },
          ]),
        ),
      };
      if (schema.security && schema.security !== 'none') op['security'] = [{ [schema.security]: [] }];
      if (schema.params) {
        const props = (jsonSchema(schema.params, 'input')['properties'] ?? {}) as Record<string, unknown>;
        op['parameters'] = Object.entries(props).map(([name, s]) => ({ name, in: 'path', required: true, schema: s }));
      }
      if (schema.body)
        op['requestBody'] = { required: true, content: { 'application/json': { schema: jsonSchema(schema.body, 'input') } } };
      (paths[path] ??= {})[method.toLowerCase()] = op;
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Break Glass Vault journal server', version },
    components: {
      securitySchemes: {
        token: { type: 'http', scheme: 'bearer', description: 'a server token (role admin, security or enroll)' },
        device: { type: 'http', scheme: 'bearer', description: 'the device credential issued at enrolment' },
      },
    },
    paths,
  };
}
