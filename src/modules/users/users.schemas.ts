import { Type, type Static } from 'typebox'

/** Field rules shared by registration and the profile update. */
export const UserFields = {
  email: Type.String({ format: 'email', minLength: 3, maxLength: 100 }),
  username: Type.String({ pattern: '^[A-Za-z0-9_.-]{3,50}$', minLength: 3, maxLength: 50, description: 'letters, digits, _ . - (3..50)' }),
  /** Length only: 8..128 characters (NIST 800-63B: length over composition rules). */
  password: Type.String({ minLength: 8, maxLength: 128 }),
  firstName: Type.String({ minLength: 1, maxLength: 50, pattern: '\\S' }),
  lastName: Type.String({ minLength: 1, maxLength: 50, pattern: '\\S' }),
  phone: Type.String({ pattern: '^\\+?[0-9 ()-]{6,20}$', maxLength: 20 })
}

export const UserRoleSchema = Type.Union([Type.Literal('customer'), Type.Literal('seller'), Type.Literal('admin')])

/** The public view of a user: never the password hash. */
export const UserSchema = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  email: Type.String(),
  first_name: Type.String(),
  last_name: Type.String(),
  phone: Type.Union([Type.String(), Type.Null()]),
  user_type: UserRoleSchema,
  is_active: Type.Boolean(),
  is_verified: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  last_login: Type.Union([Type.String({ format: 'date-time' }), Type.Null()])
})
export type User = Static<typeof UserSchema>

export const UpdateProfileBodySchema = Type.Object({
  first_name: Type.Optional(UserFields.firstName),
  last_name: Type.Optional(UserFields.lastName),
  phone: Type.Optional(Type.Union([UserFields.phone, Type.Null()])),
  /** Sent together with `new_password`. */
  current_password: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  new_password: Type.Optional(UserFields.password)
}, {
  additionalProperties: false,
  minProperties: 1,
  // The password changes only with both fields; either alone is a 400. if/then means the same in
  // Ajv's draft-07 and in OpenAPI 3.1's JSON Schema 2020-12 (draft-07's `dependencies` is not in 2020-12).
  allOf: [
    { if: { required: ['new_password'] }, then: { required: ['current_password'] } },
    { if: { required: ['current_password'] }, then: { required: ['new_password'] } }
  ],
  description: 'email and role are not changeable here'
})
export type UpdateProfileBody = Static<typeof UpdateProfileBodySchema>
