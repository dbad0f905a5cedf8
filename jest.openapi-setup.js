/**
 * Every supertest response to an `/api` request, in every workspace's tests, must be one that the
 * API document allows (status, required headers, body shape): a route and its document cannot
 * drift apart unnoticed. See OpenApiResponseChecker in common/src/testing/openapi.ts.
 */
const path = require('node:path');
const { OpenApiResponseChecker, checkSupertestResponses } = require('@ticketing/common/testing');

checkSupertestResponses(
  require('supertest/lib/test'),
  OpenApiResponseChecker.fromFile(path.join(__dirname, 'docs', 'openapi.yaml')),
);
