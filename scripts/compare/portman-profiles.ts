/**
 * The two ways Portman is run for the comparison. `default` is the config Portman ships
 * (portman-config.default.json): contract tests on one request per operation. `full` is the most Portman
 * generates without hand-written tests: the same contract tests, plus a variation per documented 2xx
 * response and content type ("2*::*"), plus every fuzzing variation it offers (required fields removed,
 * numbers past minimum/maximum, strings past minLength/maxLength; body, query and headers), each expecting
 * 400 because Portman cannot tell which 4xx the API uses.
 */
const CONTRACT_TESTS = [
  { openApiOperation: '*::/*', statusSuccess: { enabled: true } },
  { openApiOperation: '*::/*', contentType: { enabled: true } },
  { openApiOperation: '*::/*', jsonBody: { enabled: true } },
  { openApiOperation: '*::/*', schemaValidation: { enabled: true } },
  { openApiOperation: '*::/*', headersPresent: { enabled: true } },
];

const ALL_FUZZ = {
  requiredFields: { enabled: true },
  minimumNumberFields: { enabled: true },
  maximumNumberFields: { enabled: true },
  minLengthFields: { enabled: true },
  maxLengthFields: { enabled: true },
};

export const PORTMAN_FULL_CONFIG = {
  version: 1.0,
  tests: {
    contractTests: CONTRACT_TESTS,
    variationTests: [
      {
        openApiOperation: '*::/*',
        openApiResponse: '2*::*',
        variations: [
          {
            name: 'success',
            tests: {
              contractTests: [
                { statusCode: { enabled: true } },
                { contentType: { enabled: true } },
                { jsonBody: { enabled: true } },
                { schemaValidation: { enabled: true } },
                { headersPresent: { enabled: true } },
              ],
            },
          },
        ],
      },
      {
        openApiOperation: '*::/*',
        variations: [
          {
            name: 'fuzz',
            fuzzing: [{ requestBody: [ALL_FUZZ], requestQueryParams: [ALL_FUZZ], requestHeaders: [ALL_FUZZ] }],
            tests: { contractTests: [{ statusCode: { enabled: true, code: 400 } }] },
          },
        ],
      },
    ],
  },
};

export type PortmanProfile = 'default' | 'full';
