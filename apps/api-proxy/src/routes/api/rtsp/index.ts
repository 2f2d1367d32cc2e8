import { notAvailable } from '../not-available';

/** `/api/rtsp…`: 501 (camera streams are read by the edge agent, not the gateway). */
export default notAvailable('/api/rtsp');
