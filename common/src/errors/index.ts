export { HttpError, type ErrorEntry } from './http-error';
export { BadRequestError } from './bad-request-error';
export { RequestValidationError } from './request-validation-error';
export { NotAuthorizedError } from './not-authorized-error';
export { PaymentRequiredError } from './payment-required-error';
export { NotFoundError } from './not-found-error';
export { PayloadTooLargeError } from './payload-too-large-error';
export { UnsupportedMediaTypeError } from './unsupported-media-type-error';
export { TooManyRequestsError } from './too-many-requests-error';
