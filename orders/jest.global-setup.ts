import path from 'node:path';
import { setupTestPostgres } from '@ticketing/common/testing';

// One private PostgreSQL for this suite, with a template migrated by common's and this service's migrations.
export default () => setupTestPostgres({ migrationsFolder: path.join(__dirname, 'src/db/migrations') });
