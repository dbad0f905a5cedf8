import { body } from 'express-validator';
import { parsePrice } from '@ticketing/common';

// Control characters have no place in a title (and PostgreSQL text cannot hold NUL).
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const MAX_TITLE_LENGTH = 120;

/** `title`: a string of 1 to 120 characters (code points, as the event schema counts them) after trimming. */
export function titleField() {
  return body('title')
    .isString()
    .withMessage('Title is required')
    .bail()
    .trim()
    .notEmpty()
    .withMessage('Title is required')
    .bail()
    .custom((title: string) => [...title].length <= MAX_TITLE_LENGTH)
    .withMessage(`Title must be at most ${MAX_TITLE_LENGTH} characters`)
    .bail()
    .custom((title: string) => !CONTROL_CHARACTERS.test(title))
    .withMessage('Title must not contain control characters');
}

/** `price`: a JSON number (not a string) > 0, ≤ 1,000,000, a whole number of cents (common's parsePrice). */
export function priceField() {
  return body('price').custom((price: unknown) => {
    const checked = parsePrice(price);
    if (!checked.ok) throw new Error(checked.message);
    return true;
  });
}
