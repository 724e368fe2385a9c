CREATE TABLE `parked_pushes` (
	`kind` text NOT NULL,
	`id` text NOT NULL,
	`args` text NOT NULL,
	`attempts` integer NOT NULL,
	`next_at` integer NOT NULL,
	`last_error` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	PRIMARY KEY(`kind`, `id`, `args`)
);
--> statement-breakpoint
CREATE INDEX `parked_pushes_due` ON `parked_pushes` (`next_at`);