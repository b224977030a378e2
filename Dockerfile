# The image deploy/deployment.yaml runs (ghcr.io/tenantscope/tenantscope:<version>):
#   docker build -t ghcr.io/tenantscope/tenantscope:0.1.0 .
# Two stages: the build runs `npm run build` (the TypeScript, then the Kubernetes client bundle)
# and prunes dev dependencies; the runtime holds only dist/, the SQL migrations and production
# node_modules, and runs as the non-root user the Deployment's securityContext names.
# deploy/deploy.test.ts checks this file against the Deployment and that the product imports only
# `dependencies`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY cli ./cli
COPY config ./config
COPY telemetry ./telemetry
COPY tenancy ./tenancy
COPY collector ./collector
COPY store ./store
COPY analyzer ./analyzer
COPY dashboards ./dashboards
COPY alerts ./alerts
COPY server ./server
COPY lib ./lib
# the build's second step bundles the Kubernetes client down to what the collector calls
COPY scripts/bundle.ts ./scripts/bundle.ts
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# store/migrate.ts reads them next to the compiled module or from the source tree's store/migrations
COPY --from=build /app/store/migrations ./store/migrations
USER 65532:65532
EXPOSE 9464
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["run"]
