export { createApp, parseWindow } from './app.js';
export type { AppDeps, AnalysisWindow, ComponentHealth } from './app.js';
export { listen } from './serve.js';
export type { HttpServer } from './serve.js';
