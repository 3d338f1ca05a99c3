// The kubernetes driver keeps the driver contract on the real test cluster (scripts/k8s).
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubernetesDriver } from '../../packages/server/dist/sandbox/kubernetes/kubernetes-driver.js';
import { LABELS, MANAGER } from '../../packages/server/dist/sandbox/kubernetes/pod-spec.js';
import { driverContract } from '../../packages/server/dist/testing/driver-contract.js';
import { processesWith } from '../../packages/server/dist/testing/host-leftovers.js';
import { testImages } from './images.mjs';

const skip = (!process.env.KUBECONFIG || !process.env.IX_K8S_REGISTRY) && 'needs the test cluster: npm run test:k8s';
const config = new KubeConfig();
if (!skip) config.loadFromDefault();
const namespace = 'default';

driverContract('kubernetes', {
  driver: () => new KubernetesDriver({ namespace, agentImage: testImages().agent, kubeConfig: config, log: () => {} }),
  skip,
  image: () => ({ ref: testImages().machine }),
  serve: (port, reply) => `socat TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo ${reply}' >/dev/null 2>&1 &`,
  leftovers: async (marker) => {
    const pods = await config.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: `${LABELS.managedBy}=${MANAGER}` });
    return [...pods.items.map((p) => `pod ${p.metadata?.name}`), ...processesWith(marker).map((pid) => `process ${pid} (${marker})`)];
  },
  countsUsage: false,
});
