export { createAlertmanagerNotifier, toAlert } from './alertmanager.js';
export type { AlertmanagerNotifier, AlertableFinding, PostableAlert, NotifierOptions } from './alertmanager.js';
