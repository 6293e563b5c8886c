"use client";
import { ConversationScreen } from "./conversation-screen";

/**
 * Arena battles: the conversation screen with anonymous "Model A / Model B" whose names appear only
 * after the vote (the server sends them with the vote's answer, never before).
 */
export function ArenaScreen(props: Omit<Parameters<typeof ConversationScreen>[0], "kind">) {
  return <ConversationScreen {...props} kind="arena" />;
}
