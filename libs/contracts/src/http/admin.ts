import { Type, type Static } from '@sinclair/typebox';
import { AlertLanguageSchema } from '../risk';
import { OptionalNullable } from './common';

export const AdminApiKey = Type.Object({
  id: Type.String(),
  is_active: Type.Boolean(),
  name: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  /** True once revoked on its own: such a key never comes back (reactivate skips it). */
  revoked: Type.Optional(Type.Boolean()),
});

export const AdminClient = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  api_keys: Type.Array(AdminApiKey),
});
export type AdminClient = Static<typeof AdminClient>;

export const AdminClientList = Type.Object({ clients: Type.Array(AdminClient), count: Type.Integer() });
export type AdminClientList = Static<typeof AdminClientList>;

export const AdminCreateClientBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  email: OptionalNullable(Type.String({ maxLength: 320, format: 'email' })),
  language: OptionalNullable(AlertLanguageSchema),
});
export type AdminCreateClientBody = Static<typeof AdminCreateClientBody>;

/** 201; `api_key` is shown once. */
export const AdminCreateClientReply = Type.Object({
  success: Type.Boolean(),
  client_id: Type.String(),
  name: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  api_key: Type.String(),
  api_key_id: Type.String(),
  warning: Type.String(),
});
export type AdminCreateClientReply = Static<typeof AdminCreateClientReply>;

export const AdminKeyToggleReply = Type.Object({
  success: Type.Boolean(),
  client_id: Type.String(),
  client_name: Type.String(),
  revoked_count: Type.Optional(Type.Integer()),
  reactivated_count: Type.Optional(Type.Integer()),
  message: Type.String(),
});
export type AdminKeyToggleReply = Static<typeof AdminKeyToggleReply>;

/** `POST /admin/clients/{id}/erase`: the client's footage and per-client state, deleted on request (GDPR). */
export const AdminEraseReply = Type.Object({
  success: Type.Boolean(),
  client_id: Type.String(),
  client_name: Type.String(),
  erase_result: Type.Object({
    cleaned: Type.Integer(),
    failed: Type.Integer(),
    total: Type.Integer(),
    bytes_freed: Type.Integer(),
  }),
  message: Type.String(),
});
export type AdminEraseReply = Static<typeof AdminEraseReply>;

export const AdminKeyParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200 }),
  keyId: Type.String({ minLength: 1, maxLength: 200 }),
});
export type AdminKeyParams = Static<typeof AdminKeyParams>;

export const AdminIssueKeyBody = Type.Object({ name: OptionalNullable(Type.String({ minLength: 1, maxLength: 100 })) });
export type AdminIssueKeyBody = Static<typeof AdminIssueKeyBody>;

/** `POST /admin/clients/{id}/keys` (201) and `…/keys/{keyId}/rotate` (200): the new key, shown once. */
export const AdminIssuedKeyReply = Type.Object({
  success: Type.Boolean(),
  client_id: Type.String(),
  api_key_id: Type.String(),
  api_key: Type.String(),
  /** Rotate: the key it replaces, now revoked for good. */
  revoked_key_id: Type.Optional(Type.String()),
  warning: Type.String(),
});
export type AdminIssuedKeyReply = Static<typeof AdminIssuedKeyReply>;

/** `POST /admin/clients/{id}/keys/{keyId}/revoke`: that one key, revoked for good. */
export const AdminRevokeKeyReply = Type.Object({
  success: Type.Boolean(),
  client_id: Type.String(),
  api_key_id: Type.String(),
  message: Type.String(),
});
export type AdminRevokeKeyReply = Static<typeof AdminRevokeKeyReply>;
