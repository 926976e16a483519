-- GET /v1/notifications?tab=...: with only (user_id, id) indexed, a tab the user has few
-- notifications in meant reading all of the user's rows (bench/README.md, notifications).
CREATE INDEX notifications_tab_feed_idx ON notifications (user_id, tab, id DESC);
