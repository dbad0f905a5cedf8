import { HTTPRoute, Gateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import type { Loose, Manifest } from './kustomize';

type Model = new (data: Loose) => { validate(): void };

/**
 * The schema (kubernetes-models 4.x for Kubernetes' own kinds, @kubernetes-models/gateway-api for
 * the Gateway API, @kubernetes-models/prometheus-operator for the prometheus-operator CRDs) of every kind the manifests use. A kind missing here fails validation, so a new
 * kind cannot slip in unchecked.
 */
const models: Record<string, Model> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'gateway.networking.k8s.io/v1/Gateway': Gateway,
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute,
  'cert-manager.io/v1/Certificate': Certificate,
  'cert-manager.io/v1/Issuer': Issuer,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** Validates one object against its kind's OpenAPI schema; returns the problem, or undefined. */
export function validateManifest(m: Manifest): string | undefined {
  const key = `${m.apiVersion}/${m.kind}`;
  const model = models[key];
  if (!model)
    return `${key} ${m.metadata?.name}: no schema known for this kind (add it to infra/src/validate.ts)`;
  try {
    new model(m).validate();
    return undefined;
  } catch (err) {
    return `${key} ${m.metadata?.name}: ${(err as Error).message}`;
  }
}
