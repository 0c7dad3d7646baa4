import { Type, type Static } from 'typebox'
import { UserFields, UserSchema } from '../users/users.schemas.js'

export const RegisterBodySchema = Type.Object({
  email: UserFields.email,
  username: UserFields.username,
  password: UserFields.password,
  first_name: UserFields.firstName,
  last_name: UserFields.lastName,
  phone: Type.Optional(UserFields.phone)
}, { additionalProperties: false })
export type RegisterBody = Static<typeof RegisterBodySchema>

/**
 * Exactly one of `email` or `username` (checked by the service, which
 * answers AUTH_IDENTIFIER_REQUIRED). The password is only length-bounded
 * here: a login must not reveal the registration policy of old accounts.
 */
export const LoginBodySchema = Type.Object({
  email: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  password: Type.String({ minLength: 1, maxLength: 128 })
}, { additionalProperties: false })
export type LoginBody = Static<typeof LoginBodySchema>

export const SessionSchema = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  /** Seconds until the access token expires. */
  expires_in: Type.Integer(),
  user: UserSchema
})
export type Session = Static<typeof SessionSchema>
