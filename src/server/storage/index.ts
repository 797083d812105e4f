/** The server's storage: the port, its SQLite and PostgreSQL adapters, and the migrations they share. */
export * from './port.js';
export { SERVER_MIGRATIONS, LATEST_SERVER_SCHEMA, type ServerMigration } from './migrations.js';
export { SqliteStorage } from './sqlite.js';
export { PostgresStorage } from './postgres.js';
