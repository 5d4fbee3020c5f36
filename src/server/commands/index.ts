// Loads every command module so that each registers its commands in the table.
import './connection.ts';
import './multi.ts';
import './monitor.ts';
import './pubsub.ts';
import './keyspace.ts';
