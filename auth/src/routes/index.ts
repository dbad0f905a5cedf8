import { Router } from 'express';
import type { AuthContext } from './context';
import { currentUserRoute } from './current-user';
import { signinRoute } from './signin';
import { signoutRoute } from './signout';
import { signupRoute } from './signup';

export type { AuthContext } from './context';

/** Every route of auth. */
export function authRouter(context: AuthContext): Router {
  return Router().use(signupRoute(context), signinRoute(context), signoutRoute(), currentUserRoute());
}
