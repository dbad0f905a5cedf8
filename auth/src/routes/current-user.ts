import { Router } from 'express';

/** `GET /api/users/currentuser` → `{ currentUser: { id, email, iat, exp } | null }` from the session cookie. */
export function currentUserRoute(): Router {
  return Router().get('/api/users/currentuser', (req, res) => {
    res.status(200).json({ currentUser: req.currentUser ?? null });
  });
}
