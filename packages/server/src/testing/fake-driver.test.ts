// The fake driver keeps the driver contract too: what the session and gateway tests rely on is
// what real drivers do.
import { driverContract } from './driver-contract.js';
import { FakeDriver, type FakeMachine } from './fake-driver.js';

driverContract('fake', {
  driver: () => new FakeDriver(),
  skip: false,
  serve: (port, reply) => `listen ${port} ${reply}`,
  leftovers: (_marker, machine) => {
    const fake = machine as FakeMachine;
    return [...fake.running.values(), ...(fake.openShells ? [`${fake.openShells} open shell(s)`] : [])];
  },
  countsUsage: false,
});
