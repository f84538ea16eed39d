-- The outbox wakes its relay itself: every statement that inserts rows notifies the channel the relay listens
-- on ('outbox', OUTBOX_CHANNEL in db/outbox.ts), delivered when the transaction commits and not at all if it
-- rolls back. A writer needs no extra round trip for it and cannot forget it.
CREATE OR REPLACE FUNCTION outbox_notify_relay() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER outbox_notify_relay AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify_relay();
