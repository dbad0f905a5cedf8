import { HttpError } from './http-error';

/** 402: the payment provider declined the charge. */
export class PaymentRequiredError extends HttpError {
  statusCode = 402;

  constructor(message = 'Your card was declined') {
    super(message);
  }
}
