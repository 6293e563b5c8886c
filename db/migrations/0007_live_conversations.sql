CREATE TABLE `conversation_turns` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`conversation_id` integer NOT NULL,
	`turn` integer NOT NULL,
	`user_message` text NOT NULL,
	`answers` text DEFAULT '[null,null]' NOT NULL,
	`state` text DEFAULT 'generating' NOT NULL,
	`error` text,
	`item_id` integer,
	`judgment_id` integer,
	`first_token_ms` integer,
	`complete_ms` integer,
	`started_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`judgment_id`) REFERENCES `judgments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `conversation_turns_conversation_idx` ON `conversation_turns` (`conversation_id`,`id`);--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`kind` text NOT NULL,
	`generator_ids` text NOT NULL,
	`shown_order` text NOT NULL,
	`messages` text DEFAULT '[]' NOT NULL,
	`state` text DEFAULT 'open' NOT NULL,
	`judged_turns` integer DEFAULT 0 NOT NULL,
	`deadline` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `conversations_user_idx` ON `conversations` (`user_id`,`project_id`,`state`);--> statement-breakpoint
CREATE INDEX `conversations_open_deadline_idx` ON `conversations` (`deadline`) WHERE state = 'open';--> statement-breakpoint
CREATE TABLE `project_live_settings` (
	`project_id` integer PRIMARY KEY NOT NULL,
	`kind` text DEFAULT 'pairwise' NOT NULL,
	`generator_ids` text DEFAULT '[]' NOT NULL,
	`max_turns` integer DEFAULT 10 NOT NULL,
	`system_prompt` text,
	`max_tokens` integer DEFAULT 512 NOT NULL,
	`temperature` real DEFAULT 0.7 NOT NULL,
	`rate_limit_per_minute` integer DEFAULT 10 NOT NULL,
	`paused` integer DEFAULT false NOT NULL,
	`rewrites` integer DEFAULT false NOT NULL,
	`prompt_writing` integer DEFAULT false NOT NULL,
	`updated_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `rewrites` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`judgment_id` integer NOT NULL,
	`item_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`response_idx` integer NOT NULL,
	`text` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`judgment_id`) REFERENCES `judgments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`item_id`) REFERENCES `items`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rewrites_judgment_unique` ON `rewrites` (`judgment_id`);--> statement-breakpoint
CREATE INDEX `rewrites_item_idx` ON `rewrites` (`item_id`);--> statement-breakpoint
CREATE TABLE `written_prompts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`prompt` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `written_prompts_project_idx` ON `written_prompts` (`project_id`,`id`);--> statement-breakpoint
CREATE TABLE `job_judgments` (
	`job_id` integer NOT NULL,
	`judgment_id` integer NOT NULL,
	`split` text NOT NULL,
	PRIMARY KEY(`job_id`, `judgment_id`),
	FOREIGN KEY (`job_id`) REFERENCES `jobs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`judgment_id`) REFERENCES `judgments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `job_judgments_judgment_idx` ON `job_judgments` (`judgment_id`);