/** The in-service witness, or undefined when WITNESS_LOGS is empty. */
export const IN_SERVICE_WITNESS = Symbol('IN_SERVICE_WITNESS');
