/**
 * Graph v1.0 `applications/{id}/federatedIdentityCredentials` (what `az ad app federated-credential
 * create|list|show|update|delete` calls): list, create (201), get by id or name, update (PATCH, 204),
 * delete (204). `{id}` is the application's object id, as Graph requires; az resolves an app id first.
 */
import type { FastifyInstance } from 'fastify';
import { federatedCredentialBody, type AppFederatedCredentialService } from '../../core/directory/app-federated-credentials.js';
import { readJsonObject } from './requests.js';

type Params = { id: string; credential?: string };

export function registerFederatedCredentialRoutes(app: FastifyInstance, service: AppFederatedCredentialService, context: (fragment: string) => string): void {
  const path = '/applications/:id/federatedIdentityCredentials';
  app.get(path, async (request) => {
    const { id } = request.params as Params;
    const found = await service.list(request.graphCaller!, id);
    return { '@odata.context': context(`applications('${id}')/federatedIdentityCredentials`), value: found.map(federatedCredentialBody) };
  });
  app.post(path, async (request, reply) => {
    const { id } = request.params as Params;
    const created = await service.create(request.graphCaller!, id, readJsonObject(request.body as Buffer | undefined));
    reply.code(201);
    return { '@odata.context': context(`applications('${id}')/federatedIdentityCredentials/$entity`), ...federatedCredentialBody(created) };
  });
  app.get(`${path}/:credential`, async (request) => {
    const { id, credential } = request.params as Params;
    const found = await service.get(request.graphCaller!, id, credential!);
    return { '@odata.context': context(`applications('${id}')/federatedIdentityCredentials/$entity`), ...federatedCredentialBody(found) };
  });
  app.patch(`${path}/:credential`, async (request, reply) => {
    const { id, credential } = request.params as Params;
    await service.update(request.graphCaller!, id, credential!, readJsonObject(request.body as Buffer | undefined));
    return reply.code(204).send();
  });
  app.delete(`${path}/:credential`, async (request, reply) => {
    const { id, credential } = request.params as Params;
    await service.delete(request.graphCaller!, id, credential!);
    return reply.code(204).send();
  });
}
