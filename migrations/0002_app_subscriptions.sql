CREATE TABLE `app_subscriptions` (
	`session_id` text NOT NULL,
	`filter` text NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	PRIMARY KEY(`session_id`, `filter`)
);
