// Loads every command module so that each registers its commands in the table.
import './connection.ts';
import './multi.ts';
import './monitor.ts';
import './pubsub.ts';
import './keyspace.ts';
import './client.ts';
import './config.ts';
import './auth.ts';
import './info.ts';
import './slowlog.ts';
import './debug.ts';
