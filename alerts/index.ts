export { createAlertmanagerNotifier, toAlert } from './alertmanager.js';
export type { AlertmanagerNotifier, AlertableFinding, PostableAlert, NotifierOptions } from './alertmanager.js';
export { renderRules, rulesFile, recordingRules, alertingRules, referencedFamilies } from './rules.js';
export type { Rule, RuleGroup } from './rules.js';
