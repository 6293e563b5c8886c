CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor_id` integer,
	`action` text NOT NULL,
	`project_id` integer,
	`detail` text DEFAULT '{}' NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`actor_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `audit_events_created_idx` ON `audit_events` (`created_at`);--> statement-breakpoint
CREATE TABLE `assignments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`item_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`shown_order` text NOT NULL,
	`state` text DEFAULT 'active' NOT NULL,
	`leased_at` integer NOT NULL,
	`deadline` integer NOT NULL,
	`closed_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `assignments_item_user_unique` ON `assignments` (`item_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `assignments_active_deadline_idx` ON `assignments` (`deadline`) WHERE state = 'active';--> statement-breakpoint
CREATE INDEX `assignments_user_active_idx` ON `assignments` (`user_id`,`project_id`) WHERE state = 'active';--> statement-breakpoint
CREATE TABLE `judgments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`item_id` integer NOT NULL,
	`assignment_id` integer,
	`annotator_id` integer NOT NULL,
	`shown_order` text,
	`outcome` text NOT NULL,
	`ranking` text,
	`strength` integer,
	`criteria` text DEFAULT '{}' NOT NULL,
	`rationale` text,
	`time_on_task_ms` integer,
	`client_submission_id` text,
	`supersedes_id` integer,
	`source` text DEFAULT 'ui' NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assignment_id`) REFERENCES `assignments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`annotator_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `judgments_client_submission_unique` ON `judgments` (`client_submission_id`);--> statement-breakpoint
CREATE INDEX `judgments_project_item_idx` ON `judgments` (`project_id`,`item_id`);--> statement-breakpoint
CREATE INDEX `judgments_annotator_project_idx` ON `judgments` (`annotator_id`,`project_id`);--> statement-breakpoint
CREATE TABLE `gold` (
	`item_id` integer PRIMARY KEY NOT NULL,
	`accepted` text NOT NULL,
	`explanation` text DEFAULT '' NOT NULL,
	`created_by` integer,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`external_id` text,
	`prompt` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`k` integer NOT NULL,
	`queue_pos` integer NOT NULL,
	`open_slots` integer NOT NULL,
	`done_count` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `items_project_external_unique` ON `items` (`project_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `items_open_queue_idx` ON `items` (`project_id`,`queue_pos`) WHERE open_slots > 0;--> statement-breakpoint
CREATE INDEX `items_project_idx` ON `items` (`project_id`,`id`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`instructions` text DEFAULT '' NOT NULL,
	`criteria` text DEFAULT '[]' NOT NULL,
	`overlap` integer DEFAULT 3 NOT NULL,
	`rationale_policy` text DEFAULT 'optional' NOT NULL,
	`strength_scale` integer DEFAULT true NOT NULL,
	`gold_rate` real DEFAULT 0 NOT NULL,
	`lease_seconds` integer DEFAULT 900 NOT NULL,
	`queue_seq` integer DEFAULT 0 NOT NULL,
	`item_count` integer DEFAULT 0 NOT NULL,
	`done_slots` integer DEFAULT 0 NOT NULL,
	`created_by` integer,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_name_unique` ON `projects` (`name`);--> statement-breakpoint
CREATE TABLE `queue_cursors` (
	`user_id` integer NOT NULL,
	`project_id` integer NOT NULL,
	`pos` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `queue_cursors_pk` ON `queue_cursors` (`user_id`,`project_id`);--> statement-breakpoint
CREATE TABLE `responses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`item_id` integer NOT NULL,
	`idx` integer NOT NULL,
	`model` text NOT NULL,
	`content` text NOT NULL,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `responses_item_idx_unique` ON `responses` (`item_id`,`idx`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text,
	`name` text NOT NULL,
	`password_hash` text,
	`role` text NOT NULL,
	`external` integer DEFAULT false NOT NULL,
	`disabled_at` integer,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_external_name_unique` ON `users` (`name`) WHERE external = 1;--> statement-breakpoint
CREATE INDEX `users_role_idx` ON `users` (`role`);