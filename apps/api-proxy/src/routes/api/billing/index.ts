import { notAvailable } from '../not-available';

/** `/api/billing…`: 501 (usage and cost are at `/api/usage`). */
export default notAvailable('/api/billing');
