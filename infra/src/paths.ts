import path from 'node:path';
import { serviceNames, type ServiceName } from '@ticketing/common';

/** The repository root (the Docker build context of every image). */
export const repoRoot = path.resolve(__dirname, '..', '..');
/** infra/ */
export const infraDir = path.join(repoRoot, 'infra');
/** infra/k8s */
export const k8sDir = path.join(infraDir, 'k8s');

/**
 * The back-end services, from common's service catalog; each has `<name>/Dockerfile`,
 * `<name>/src/config.ts` and a database.
 */
export const services: readonly ServiceName[] = serviceNames;
export type { ServiceName };

/** Everything that ships as an image: the services and the client. */
export type AppName = ServiceName | 'client';
export const apps: readonly AppName[] = [...services, 'client'];

/** The kustomize overlays that are meant to be deployed (all are rendered and validated by the tests). */
export const overlays = ['dev', 'dev-ingress-nginx', 'prod'] as const;
export type OverlayName = (typeof overlays)[number];
