# syntax=docker/dockerfile:1
# Multi-stage build: dependencies (with native add-ons) in one stage, a slim runtime in the next.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node:22-bookworm-slim AS ui
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY ui ./ui
RUN npm run build:ui

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY config ./config
COPY db ./db
COPY connectors ./connectors
COPY knowledge ./knowledge
COPY agent ./agent
COPY api ./api
COPY jobs ./jobs
COPY --from=ui /app/dist/ui ./dist/ui
COPY evals ./evals
COPY scripts ./scripts
USER node
EXPOSE 3000
# `node --import tsx` directly: npm's prestart (a UI rebuild check) is for development checkouts.
CMD ["node", "--import", "tsx", "app/server-main.ts"]
