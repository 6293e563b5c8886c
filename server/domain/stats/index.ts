/**
 * Pure statistics over plain arrays: label quality (agreement, Dawid-Skene, annotator bias) and model
 * leaderboards (AlpacaEval win rate, Chatbot Arena Bradley-Terry). No database, no framework imports;
 * every resampling procedure takes a seed.
 */
export * from "./agreement";
export * from "./annotator-bias";
export * from "./battle";
export * from "./bootstrap";
export * from "./bradley-terry";
export * from "./dawid-skene";
export * from "./random";
export * from "./win-rate";
