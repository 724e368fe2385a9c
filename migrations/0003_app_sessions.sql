CREATE TABLE `app_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`connected_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `app_sessions_owner` ON `app_sessions` (`owner`);