/**
 * A real gRPC server for the grpc probe's tests: @grpc/grpc-js with the standard health service
 * of grpc-health-check (grpc.health.v1), on 127.0.0.1 port 0, in plaintext or over TLS with a
 * fixture certificate. `hang` serves a Health service whose Check never answers (a deadline);
 * `health: false` serves no health service at all (UNIMPLEMENTED); `fail` a Health service whose
 * Check answers that gRPC status, as a proxy in front of a server does.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, service as healthService, type ServingStatusMap } from 'grpc-health-check';
import { tlsFixture, type CertName } from './targets.js';

export interface GrpcServer {
  port: number;
  /** The health service's statuses, to change while the server runs. */
  health: HealthImplementation;
  close(): Promise<void>;
}

export async function startGrpcServer(
  opts: { tls?: CertName; statuses?: ServingStatusMap; health?: boolean; hang?: boolean; fail?: { code: grpc.status; details: string } } = {},
): Promise<GrpcServer> {
  const server = new grpc.Server();
  const health = new HealthImplementation(opts.statuses ?? { '': 'SERVING' });
  if (opts.hang) {
    server.addService(healthService, { check: () => undefined, watch: () => undefined });
  } else if (opts.fail) {
    const fail = opts.fail;
    server.addService(healthService, { check: (_call: unknown, done: grpc.sendUnaryData<never>) => done(fail), watch: () => undefined });
  } else if (opts.health !== false) {
    health.addToServer(server);
  }
  const credentials = opts.tls
    ? grpc.ServerCredentials.createSsl(null, [
        { private_key: readFileSync(tlsFixture(`${opts.tls}.key`)), cert_chain: readFileSync(tlsFixture(`${opts.tls}.crt`)) },
      ])
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return {
    port,
    health,
    close: async () => {
      server.forceShutdown();
    },
  };
}
