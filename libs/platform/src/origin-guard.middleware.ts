import type { NextFunction, Request, Response } from 'express';
import { OriginPolicy, originRefusal } from './origin-policy';
import { sendProblem } from './problem.filter';

/** Express middleware: a request the origin policy refuses gets its 403 problem before any route sees it. */
export function originGuard(policy: OriginPolicy): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const refusal = originRefusal(policy, req);
    if (refusal) sendProblem(req, res, refusal);
    else next();
  };
}
