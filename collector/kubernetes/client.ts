/**
 * The parts of @kubernetes/client-node the collector uses, as one module the build bundles.
 *
 * client-node's index loads every generated API and model, and so does its KubeConfig alone
 * (config.js imports the generated index): ~40 API groups the collector never calls, whose
 * sources and compiled code then stay in the heap for the process' life. `npm run build`
 * (scripts/bundle.ts) replaces the compiled `dist/collector/kubernetes/client.js` with an esbuild
 * bundle of this module that keeps only what these exports reach, client-node's own dependencies
 * left as imports. The RSS it saves is measured in bench/RESULTS.md (collector section). From the
 * sources (tests, tsx) this module is a plain re-export of the same classes.
 */
export { BatchV1Api, CoreV1Api, KubeConfig, Metrics, Watch } from '@kubernetes/client-node';
