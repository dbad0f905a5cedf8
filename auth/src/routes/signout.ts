import { Router } from 'express';
import { clearSessionCookie } from '@ticketing/common';

/** `POST /api/users/signout` → 200 `{}` and the session cookie cleared (a JWT cannot be revoked; it just leaves the browser). */
export function signoutRoute(): Router {
  return Router().post('/api/users/signout', (req, res) => {
    clearSessionCookie(req, res);
    res.status(200).json({});
  });
}
