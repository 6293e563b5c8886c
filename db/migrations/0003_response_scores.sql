CREATE TABLE `response_scores` (
	`model_id` integer NOT NULL,
	`response_id` integer NOT NULL,
	`reward` real NOT NULL,
	`reward_raw` real NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`response_id`) REFERENCES `responses`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `response_scores_pk` ON `response_scores` (`model_id`,`response_id`);