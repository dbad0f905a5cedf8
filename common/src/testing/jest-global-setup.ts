import { setupTestPostgres } from './test-database';

// common's own suite: a template with common's migrations only.
export default () => setupTestPostgres();
