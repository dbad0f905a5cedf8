export { teardownTestPostgres as default } from './test-database';
