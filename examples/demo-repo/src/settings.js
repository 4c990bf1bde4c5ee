// Deployment settings. The key below is AWS's documented example key,
// planted so the demo shows how secrets are reported: masked, never in clear.
module.exports = {
  region: 'eu-west-1',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
};
