// A workload on the VM: gets a token with ManagedIdentityCredential, exactly as on Azure.
// Run it with the variables `keyless agent` printed. Usage: node examples/get-token.mjs [client-id]
import { ManagedIdentityCredential } from '@azure/identity';

const clientId = process.argv[2];
const credential = clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
const token = await credential.getToken('https://management.azure.com/.default');
const claims = JSON.parse(Buffer.from(token.token.split('.')[1], 'base64url').toString());
console.log(JSON.stringify({ oid: claims.oid, appid: claims.appid, xms_mirid: claims.xms_mirid, expiresOn: new Date(token.expiresOnTimestamp).toISOString() }));
