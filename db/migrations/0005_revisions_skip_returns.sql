CREATE TABLE `generation_prompts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job_id` integer NOT NULL,
	`line` integer NOT NULL,
	`external_id` text NOT NULL,
	`prompt` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`plan` text NOT NULL,
	`groups` text NOT NULL,
	`state` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`tokens` integer DEFAULT 0 NOT NULL,
	`item_ids` text,
	`updated_at` integer,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `generation_prompts_job_line_unique` ON `generation_prompts` (`job_id`,`line`);--> statement-breakpoint
CREATE INDEX `generation_prompts_state_idx` ON `generation_prompts` (`job_id`,`state`);--> statement-breakpoint
CREATE TABLE `generators` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`model` text NOT NULL,
	`url` text,
	`api_key_env` text,
	`device` text DEFAULT 'auto' NOT NULL,
	`version` text,
	`last_test` text,
	`created_by` integer,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`removed_at` integer,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `generators_live_name_unique` ON `generators` (`name`) WHERE removed_at IS NULL;--> statement-breakpoint
CREATE TABLE `rounds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`number` integer NOT NULL,
	`job_id` integer NOT NULL,
	`generators` text NOT NULL,
	`params` text NOT NULL,
	`reward_model_id` integer,
	`prompts_sha256` text NOT NULL,
	`prompt_count` integer NOT NULL,
	`created_by` integer,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`reward_model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rounds_project_number_unique` ON `rounds` (`project_id`,`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `rounds_job_unique` ON `rounds` (`job_id`);--> statement-breakpoint
ALTER TABLE `assignments` ADD `returned_at` integer;--> statement-breakpoint
ALTER TABLE `items` ADD `round_id` integer REFERENCES rounds(id);--> statement-breakpoint
ALTER TABLE `projects` ADD `revision_minutes` integer DEFAULT 1440 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `session_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `judgments_annotator_revision_idx` ON `judgments` (`annotator_id`,`project_id`) WHERE supersedes_id IS NOT NULL;