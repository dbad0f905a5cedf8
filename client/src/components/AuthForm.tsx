'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { splitErrors, type FormErrors } from '@/lib/api-core';
import { sendJson } from '@/lib/browser-api';
import { FieldError, FormAlert } from './FormErrors';

const FIELDS = ['email', 'password'] as const;
const NO_ERRORS: FormErrors = { fields: {}, form: [] };

export function AuthForm({ mode, next }: { mode: 'signup' | 'signin'; next: string }) {
  const router = useRouter();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [pending, setPending] = useState(false);

  // Never rejects (sendJson turns a failed request into a result), so the form fires it and forgets.
  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setErrors(NO_ERRORS);
    const result = await sendJson<{ id: string; email: string }>('POST', `/api/users/${mode}`, {
      email,
      password,
    });
    if (result.ok) {
      router.push(next);
      router.refresh();
      return;
    }
    setErrors(splitErrors(result.errors, FIELDS));
    setPending(false);
  }

  const emailErr = errors.fields.email;
  const passwordErr = errors.fields.password;
  const label = mode === 'signup' ? 'Create account' : 'Sign in';

  return (
    <form
      className="stack"
      onSubmit={(e) => void onSubmit(e)}
      noValidate
      aria-label={label}
      data-testid={`${mode}-form`}
    >
      <FormAlert messages={errors.form} />
      <div className="field">
        <label htmlFor="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          aria-invalid={emailErr ? true : undefined}
          aria-describedby={emailErr ? 'email-error' : undefined}
        />
        <FieldError id="email-error" messages={emailErr} />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
          required
          minLength={mode === 'signup' ? 8 : undefined}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={passwordErr ? true : undefined}
          aria-describedby={
            [mode === 'signup' ? 'password-hint' : '', passwordErr ? 'password-error' : '']
              .filter(Boolean)
              .join(' ') || undefined
          }
        />
        {mode === 'signup' && (
          <span className="hint" id="password-hint">
            8 to 128 characters.
          </span>
        )}
        <FieldError id="password-error" messages={passwordErr} />
      </div>
      <button type="submit" className="button block" disabled={pending}>
        {pending ? (mode === 'signup' ? 'Creating account…' : 'Signing in…') : label}
      </button>
    </form>
  );
}
