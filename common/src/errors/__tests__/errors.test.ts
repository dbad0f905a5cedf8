import {
  BadRequestError,
  HttpError,
  NotAuthorizedError,
  NotFoundError,
  PayloadTooLargeError,
  PaymentRequiredError,
  RequestValidationError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnsupportedMediaTypeError,
} from '..';

describe('error classes', () => {
  it.each([
    [new BadRequestError('Email in use'), 400, [{ message: 'Email in use' }]],
    [new NotAuthorizedError(), 401, [{ message: 'Not authorized' }]],
    [new PaymentRequiredError(), 402, [{ message: 'Your card was declined' }]],
    [new NotFoundError(), 404, [{ message: 'Not found' }]],
    [new PayloadTooLargeError(), 413, [{ message: 'Request body is too large' }]],
    [new UnsupportedMediaTypeError(), 415, [{ message: 'Content-Type must be application/json' }]],
    [new TooManyRequestsError(), 429, [{ message: 'Too many attempts, try again later' }]],
    [new ServiceUnavailableError(), 503, [{ message: 'The service is busy, try again shortly' }]],
  ])('%p has its status and serializes to the contract shape', (error, status, body) => {
    expect(error.statusCode).toBe(status);
    expect(error.serialize()).toEqual(body);
  });

  it('are instances of HttpError and Error with their own name', () => {
    const error = new NotFoundError();

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('NotFoundError');
  });

  it('names the body field of a BadRequestError when given', () => {
    expect(new BadRequestError('Invalid price', 'price').serialize()).toEqual([
      { message: 'Invalid price', field: 'price' },
    ]);
  });

  it('serializes a RequestValidationError to one entry per field', () => {
    const error = new RequestValidationError([
      { message: 'Title is required', field: 'title' },
      { message: 'Price must be positive', field: 'price' },
    ]);

    expect(error.statusCode).toBe(400);
    expect(error.serialize()).toEqual([
      { message: 'Title is required', field: 'title' },
      { message: 'Price must be positive', field: 'price' },
    ]);
  });

  it('keeps retryAfterSeconds on a TooManyRequestsError', () => {
    expect(new TooManyRequestsError(undefined, 60).retryAfterSeconds).toBe(60);
  });
});
